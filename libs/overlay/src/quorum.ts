import type { NodeId } from './peer-record';

/**
 * The confirmation rule for everything that must be unique cluster-wide (an address block, a
 * network name, a VNI): a claim is confirmed only when a MAJORITY of the membership acknowledged
 * it, and a member never acknowledges a second claimant of a key while the one it acknowledged
 * has not released it. Two majorities of one membership share a member, and that member
 * acknowledged only one of them, so no key is ever confirmed for two claimants, whatever the
 * partitions: the minority side cannot confirm anything and keeps what it holds.
 *
 * A dead member's claim is not released by its silence alone: a new claim may supersede it only
 * when the member acknowledging it has itself seen the holder silent past the reclaim timeout, so
 * a reclaim too needs a majority that agrees the holder is gone.
 *
 * Pure: the caller supplies what the member knows and stores the promise it returns before it
 * sends the answer (a member that forgot its promise after a restart could acknowledge twice).
 */
export interface ClaimRef {
  readonly owner: NodeId;
  readonly version: bigint;
}

export interface ClaimRequest extends ClaimRef {
  /** The dead holder's claim this one replaces (a reclaim), if any. */
  readonly supersedes?: ClaimRef;
}

/** What one member knows about a key when a claim for it arrives. */
export interface MemberView {
  /** The claim this member acknowledged last for the key (persisted). */
  readonly promised?: ClaimRef;
  /** Claims of the key this member knows to be confirmed and still held (from the replicated state). */
  readonly held: readonly ClaimRef[];
  /** Whether a claim was withdrawn since: its owner's record for the key is gone or newer. */
  released(ref: ClaimRef): boolean;
  /** Whether this member has seen `owner` silent past the reclaim timeout. */
  reclaimable(owner: NodeId): boolean;
}

export type Answer = { readonly ack: true; readonly promise: ClaimRef } | { readonly ack: false; readonly holder: ClaimRef };

/** A member's answer to a claim: acknowledge (and promise) or refuse, naming who blocks it. */
export function answerClaim(view: MemberView, claim: ClaimRequest): Answer {
  const blockers = [...(view.promised && !view.released(view.promised) ? [view.promised] : []), ...view.held];
  for (const b of blockers) {
    if (b.owner === claim.owner) continue;
    const s = claim.supersedes;
    const excused = s !== undefined && s.owner === b.owner && s.version >= b.version && view.reclaimable(b.owner);
    if (!excused) return { ack: false, holder: b };
  }
  // An older claim of the same owner stays promised over a newer one only until it is withdrawn;
  // promising the newer (higher version) one keeps a single promise per key.
  const keep = view.promised && view.promised.owner === claim.owner && view.promised.version > claim.version;
  return { ack: true, promise: keep ? view.promised! : { owner: claim.owner, version: claim.version } };
}

export function majority(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

export type Tally = 'won' | 'lost' | 'open';

/**
 * Where a claim stands: `acks` and `refusals` count distinct voting members (the claimant's own
 * answer included); `voters` is the largest membership any of them counts. Lost as soon as the
 * members still to answer can no longer make a majority.
 */
export function tally(voters: number, acks: number, refusals: number): Tally {
  const need = majority(voters);
  if (acks >= need) return 'won';
  if (voters - refusals < need) return 'lost';
  return 'open';
}

/**
 * Where a claim stands when only VOTERS' answers count: `acks` and `refusals` are every member
 * that answered (non-voters, not-yet-known voters included, kept so they count once admitted);
 * `reported` is the largest voter count any answer carried. The membership counted is the larger of
 * that and the claimant's own voter set, so a claimant that has not heard of an admission yet
 * counts from the larger membership its answers report.
 */
export function tallyVoters(voters: ReadonlySet<NodeId>, acks: Iterable<NodeId>, refusals: Iterable<NodeId>, reported = 0): Tally {
  const count = (s: Iterable<NodeId>) => [...s].filter((n) => voters.has(n)).length;
  return tally(Math.max(voters.size, reported), count(acks), count(refusals));
}

/**
 * Whether a member's promise to a change of the voter set (an admission or a removal) is over, so
 * it may acknowledge the next one. Changes go one at a time: consecutive voter sets then differ
 * by one member, and a majority of the old set and one of the new always share a member; two
 * changes approved at once by majorities of the same set (two additions, or an addition and a
 * removal) could give sets whose majorities do not meet. `records` are the claimant's change
 * records this member holds (a claimant has one change pending at a time). Over when the promised
 * record is no longer pending (confirmed or withdrawn: its owner rewrote it with a higher version),
 * when the claimant was removed, or when it has been silent past the reclaim timeout (a claimant
 * that died mid-change must not block every later one).
 */
export function changeSettled(promised: ClaimRef, records: readonly { readonly version: bigint; readonly pending: boolean }[], removed: boolean, reclaimable: boolean): boolean {
  if (removed || reclaimable) return true;
  const same = records.find((r) => r.version === promised.version);
  if (same) return !same.pending;
  return records.some((r) => r.version > promised.version);
}
