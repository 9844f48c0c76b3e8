-- ExternalKeys in team mode (issue 15): blocks of keys this desk took from
-- the team database (caredesk.key_blocks), used before the local sequence,
-- so no two desks of a team give one key to two texts. [next, end).
CREATE TABLE team_key_blocks (
    id   INTEGER PRIMARY KEY,
    next INTEGER NOT NULL,
    end  INTEGER NOT NULL,
    CHECK (next <= end)
) STRICT;
