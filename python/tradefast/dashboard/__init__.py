"""The dashboard's static file server (the page itself lives in web/)."""
