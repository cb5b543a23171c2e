"""Placewise, emulated: `routes` (PREFIX, install and routes: what sandbox/app.py serves),
`data` (its tables and demo data), and the modules the routes use."""
