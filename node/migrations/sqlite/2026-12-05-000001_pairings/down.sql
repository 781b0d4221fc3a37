DROP TABLE pairings;
DROP TABLE households;
