"""SQLAlchemy 2 persistence: typed models, repositories, the unit of work and Alembic migrations."""
