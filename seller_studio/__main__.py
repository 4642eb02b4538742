from seller_studio.cli.main import main

raise SystemExit(main())
