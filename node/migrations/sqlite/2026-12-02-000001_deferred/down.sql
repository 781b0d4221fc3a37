DROP TABLE deferred;
