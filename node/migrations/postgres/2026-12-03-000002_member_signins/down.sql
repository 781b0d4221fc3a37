DROP TABLE member_signins;
