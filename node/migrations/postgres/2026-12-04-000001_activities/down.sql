DROP TABLE checkins;
DROP TABLE signups;
DROP TABLE activities;
