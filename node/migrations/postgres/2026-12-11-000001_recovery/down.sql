DROP TABLE recovery_released;
DROP TABLE recovery_answers;
DROP TABLE recovery;
