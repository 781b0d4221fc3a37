DROP TABLE feedback;
DROP TABLE service_logs;
