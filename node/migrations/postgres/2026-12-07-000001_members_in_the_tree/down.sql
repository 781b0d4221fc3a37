ALTER TABLE households DROP COLUMN building_id;
DROP TABLE buildings;
ALTER TABLE members DROP COLUMN work_grid;
ALTER TABLE members DROP COLUMN work_org;
DROP INDEX claims_by_member;
ALTER TABLE claims DROP COLUMN member_name;
ALTER TABLE claims DROP COLUMN mref;
ALTER TABLE claims DROP COLUMN member_id;
