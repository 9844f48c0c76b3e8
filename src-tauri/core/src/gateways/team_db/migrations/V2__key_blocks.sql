-- ExternalKeys in team mode (issue 15): desks take blocks of keys from
-- caredesk.key_blocks, so two desks never give one key to two texts. The
-- blocks come from the upper half of the 32-bit range; a desk alone (and a
-- desk of a team that has not reached the database yet) counts in the lower
-- half, so the two never meet.
UPDATE caredesk.key_blocks SET next = GREATEST(next, 1073741824);

UPDATE caredesk.team_meta SET schema_version = 2;
