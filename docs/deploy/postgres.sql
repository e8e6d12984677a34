-- Run once as PostgreSQL's superuser:
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -f postgres.sql
-- then give the role its password: sudo -u postgres psql -c '\password twofold'
CREATE ROLE twofold LOGIN;
CREATE DATABASE twofold OWNER twofold ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE twofold FROM PUBLIC;
