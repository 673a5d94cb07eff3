"""Import time from the CSV exports of Harvest, Toggl Track and Clockify: the formats
(formats.py) and the streaming parser that turns a file into rows (reader.py). Nothing here
touches the database; storing the rows is the services' business."""
