from scoring.launch import main

raise SystemExit(main())
