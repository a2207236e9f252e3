-- Teams / Web Chat / Direct Line identities are keyed by activity channel
-- (issue #12 item 6): `msteams:aad:<Entra object id>` on Teams,
-- `<channelId>:<from.id>` elsewhere. Before, the key was the bare `from.id`
-- whatever the channel, so a Direct Line client could pick a Teams user's id
-- and be taken for them.
--
-- Existing identities keep their lead, history and consent: each bare key is
-- namespaced by the channel its conversations came through (the newest
-- reference in msteams_conversations), or `msteams` when none is known. A
-- Teams identity moves on to its aad key the next time that person writes
-- (adoptIdentity in src/bots/identities.ts).
UPDATE channel_identities i
SET external_id = COALESCE(
    (SELECT m.activity_channel FROM msteams_conversations m
      WHERE m.channel_account_id = i.channel_account_id AND m.user_id = i.external_id
      ORDER BY m.updated_at DESC LIMIT 1),
    'msteams') || ':' || i.external_id
FROM channel_accounts a
WHERE a.id = i.channel_account_id
  AND a.channel = 'msteams';
