DROP TABLE mail_cursor;
DROP TABLE mail_outbox;
DROP INDEX users_land_idx;
ALTER TABLE users DROP COLUMN last_login_at;
ALTER TABLE users DROP COLUMN mail_opt_out;
ALTER TABLE users DROP COLUMN land_code;
ALTER TABLE users DROP COLUMN roles;
ALTER TABLE users DROP COLUMN email;
