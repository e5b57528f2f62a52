"""Pictures for people: the run's metric plots (`plots`) and G's samples over D's surface or as
image grids (`samples`)."""
