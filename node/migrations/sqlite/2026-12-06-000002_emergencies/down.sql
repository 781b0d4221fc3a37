DROP TABLE emergency_volunteers;
DROP TABLE emergency_calls;
DROP TABLE emergencies;
