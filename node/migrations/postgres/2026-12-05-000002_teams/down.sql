DROP TABLE invitations;
DROP TABLE team_members;
DROP TABLE teams;
