-- Which columns hold personal data, and of what kind, recorded in the catalog
-- itself: princess's leak scan looks for production's values of every one of
-- them, whatever the scrub rules say (a rule set to keep by mistake is caught).
COMMENT ON COLUMN members.name IS 'personal:name';
COMMENT ON COLUMN members.email IS 'personal:email';
COMMENT ON COLUMN members.address IS 'personal:address';
COMMENT ON COLUMN members.phone IS 'personal:phone';
COMMENT ON COLUMN members.birth_date IS 'personal:date';
COMMENT ON COLUMN members.last_login_ip IS 'personal:ip';
COMMENT ON COLUMN orders.shipping_address IS 'personal:address';
COMMENT ON COLUMN messages.body IS 'personal:text';
