DROP TABLE search_grams;
DROP TABLE search_keys;
