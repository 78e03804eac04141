from mysqlproto.cli import main

raise SystemExit(main())
