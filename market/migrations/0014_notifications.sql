-- Notifications (market/notifications, docs/notifications.md): each person's preferences and
-- sealed contacts, browsers' Web Push subscriptions, the fan-in cursor over the outbox, and the
-- notification outbox that is also the delivery log (one row per event, account and channel).
CREATE TABLE IF NOT EXISTS notification_preferences (
    account_id      uuid PRIMARY KEY REFERENCES accounts (id),
    -- nothing at all is sent to a person who opted out
    opted_out       boolean NOT NULL DEFAULT false,
    -- notification kind -> the channels it goes to; a kind not named goes to the default channels
    channels        jsonb NOT NULL DEFAULT '{}' CONSTRAINT notification_preferences_channels_object
                    CHECK (jsonb_typeof(channels) = 'object'),
    -- quiet hours, Beijing wall-clock time; start > end spans midnight (22:00-07:00)
    quiet_start     time,
    quiet_end       time,
    -- the phone (SMS) and the WeChat openid, sealed (AES-GCM, market/sealing.py) to this account;
    -- the phone's mask is what is shown and logged
    phone_sealed    bytea,
    phone_key_id    text,
    phone_masked    text CHECK (phone_masked ~ '^[0-9]{3}\*{4}[0-9]{4}$'),
    openid_sealed   bytea,
    openid_key_id   text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_preferences_quiet_both CHECK ((quiet_start IS NULL) = (quiet_end IS NULL)),
    CONSTRAINT notification_preferences_quiet_span CHECK (quiet_start IS NULL OR quiet_start <> quiet_end),
    CONSTRAINT notification_preferences_phone_sealed CHECK (
        (phone_sealed IS NULL) = (phone_key_id IS NULL) AND (phone_sealed IS NULL) = (phone_masked IS NULL)),
    CONSTRAINT notification_preferences_openid_sealed CHECK ((openid_sealed IS NULL) = (openid_key_id IS NULL))
);

CREATE TABLE IF NOT EXISTS notification_web_push_subscriptions (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES accounts (id),
    endpoint    text NOT NULL CHECK (endpoint ~ '^https?://' AND length(endpoint) <= 2000),
    p256dh      text NOT NULL CHECK (length(p256dh) BETWEEN 80 AND 100),
    auth        text NOT NULL CHECK (length(auth) BETWEEN 16 AND 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notification_web_push_subscriptions_once UNIQUE (account_id, endpoint)
);

-- How far the fan-in has read the outbox: one row, locked by the one consumer that reads on.
CREATE TABLE IF NOT EXISTS notification_cursor (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    after_seq  bigint NOT NULL CHECK (after_seq >= 0)
);
INSERT INTO notification_cursor (after_seq) SELECT coalesce(max(seq), 0) FROM events
ON CONFLICT (only_row) DO NOTHING;

CREATE TABLE IF NOT EXISTS notifications (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- what the notification is about: 'event:<outbox id>' or '<kind>:<object id>' for a sweep's
    event_key        text NOT NULL CHECK (length(event_key) BETWEEN 3 AND 200),
    account_id       uuid NOT NULL REFERENCES accounts (id),
    channel          text NOT NULL CHECK (channel IN ('log', 'sms', 'wechat', 'web_push')),
    kind             text NOT NULL CONSTRAINT notifications_kind CHECK (kind IN ('offer.made', 'offer.expiring',
                     'shift.tomorrow', 'checkin.reminder', 'timesheet.approved', 'payout.paid',
                     'certificate.expiring', 'case.answered')),
    event_id         bigint REFERENCES events (id),
    message          jsonb NOT NULL CHECK (jsonb_typeof(message) = 'object'),
    state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz DEFAULT now(),
    -- when the row took its place in the person's hourly allowance of the channel (rate limit)
    slot_at          timestamptz,
    last_error       text CHECK (length(last_error) <= 500),
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    -- at most one notification per event, person and channel, however many consumers race
    CONSTRAINT notifications_once UNIQUE (event_key, account_id, channel),
    CONSTRAINT notifications_next_attempt_only_when_pending CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL)),
    CONSTRAINT notifications_sent_at CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS notifications_by_account ON notifications (account_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS notifications_slots ON notifications (account_id, channel, slot_at) WHERE slot_at IS NOT NULL;
-- The reminder sweeps: seats by start, paid payouts by when.
CREATE INDEX IF NOT EXISTS assignments_active_by_start ON assignments (lower(period)) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS payouts_paid_at ON payouts (paid_at) WHERE state = 'paid';
