"""Positions in Redis: a hash per key `book|instrument`, fenced so replays are applied once."""
