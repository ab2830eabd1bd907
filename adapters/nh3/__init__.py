"""HTML sanitizing with nh3 (Rust ammonia); bleach is deprecated."""
