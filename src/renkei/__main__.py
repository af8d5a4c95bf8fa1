from renkei.cli import main

raise SystemExit(main())
