DROP TABLE event_audience;
DROP TABLE events;
