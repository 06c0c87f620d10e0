"""Assessment over stored data: grids of hourly values, HJ 663 evaluations, rankings, progress."""
