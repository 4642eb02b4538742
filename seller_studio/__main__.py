from seller_studio.cli.main import entry

entry()
