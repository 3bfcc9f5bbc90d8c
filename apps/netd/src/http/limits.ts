/** Requests larger than this get 413 (dockerd has no limit; every real JSON body here is tiny). */
export const BODY_LIMIT = 1024 * 1024;

/**
 * Output queued for a stream client that does not read, past which the client is dropped:
 * conmon does the same to a slow attach socket, and without a bound one stalled client pins
 * the daemon's memory with everything the container writes.
 */
export const STREAM_BUFFER_LIMIT = 8 * 1024 * 1024;

/** How long the body of a hijack request (exec start) may take to arrive in full. */
export const UPGRADE_BODY_TIMEOUT_MS = 10_000;

/** How long a refused hijack request's answer may sit unread before its connection is dropped. */
export const LINGER_MS = 5_000;
