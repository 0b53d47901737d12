-- Each organisation's de-identification policy (JSON, web/store/src/policy.rs); NULL: the defaults.
ALTER TABLE orgs ADD COLUMN policy TEXT;
