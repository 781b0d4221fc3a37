DROP TABLE reports;
DROP TABLE member_key;
DROP TABLE members;
