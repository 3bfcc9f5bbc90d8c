import type { ImageSummary } from '../../client/engine-types';
import { goJson } from '../../output/go-json';
import type { MarshalsJson } from '../../output/go-template';
import { humanDuration, humanSize, truncateId } from '../../output/go-units';
import { familiarName, parseReference } from './reference';

/** The row `images --format` templates see (docker's imageContext). */
export interface ImageRow extends MarshalsJson {
  ID: string;
  Repository: string;
  Tag: string;
  Digest: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  Containers: string;
  VirtualSize: string;
  SharedSize: string;
  UniqueSize: string;
}

export const imageTable = (digests: boolean) =>
  `table {{.Repository}}\t{{.Tag}}\t${digests ? '{{.Digest}}\t' : ''}{{.ID}}\t{{.CreatedSince}}\t{{.Size}}`;

export const IMAGE_HEADER = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'VIRTUAL SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/**
 * docker's imageFormat: a dangling image is one `<none> <none>` row; otherwise one row per
 * repository tag, and (with --digests) per digest, plus digest-only repositories.
 */
export function imageRows(image: ImageSummary, o: { trunc: boolean; digests: boolean }, now: number): ImageRow[] {
  const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  const digs = (image.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
  const make = (repo: string, tag: string, digest: string) => row(image, repo, tag, digest, o.trunc, now);
  if (tags.length === 0 && digs.length === 0) return [make('<none>', '<none>', '<none>')];
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const t of tags) {
    const r = safeParse(t);
    if (r?.tag !== undefined) push(repoTags, familiarName(r.name), r.tag);
  }
  for (const d of digs) {
    const r = safeParse(d);
    if (r?.digest) push(repoDigests, familiarName(r.name), r.digest);
  }
  const rows: ImageRow[] = [];
  for (const [repo, tagList] of repoTags) {
    const ds = o.digests ? (repoDigests.get(repo) ?? []) : [];
    repoDigests.delete(repo);
    for (const tag of tagList) {
      if (ds.length === 0) rows.push(make(repo, tag, '<none>'));
      else for (const d of ds) rows.push(make(repo, tag, d));
    }
  }
  for (const [repo, ds] of repoDigests) {
    if (o.digests) for (const d of ds) rows.push(make(repo, '<none>', d));
    else rows.push(make(repo, '<none>', ''));
  }
  return rows;
}

function row(image: ImageSummary, repo: string, tag: string, digest: string, trunc: boolean, now: number): ImageRow {
  const fields = {
    Containers: image.Containers === undefined || image.Containers === -1 ? 'N/A' : String(image.Containers),
    CreatedAt: new Date(image.Created * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
    CreatedSince: image.Created ? `${humanDuration(now - image.Created * 1000)} ago` : 'N/A',
    Digest: digest,
    ID: trunc ? truncateId(image.Id) : image.Id,
    Repository: repo,
    SharedSize: image.SharedSize === undefined || image.SharedSize === -1 ? 'N/A' : humanSize(image.SharedSize),
    Size: humanSize(image.Size),
    Tag: tag,
    UniqueSize: image.SharedSize === undefined || image.SharedSize === -1 ? 'N/A' : humanSize(image.Size - image.SharedSize),
    VirtualSize: humanSize(image.Size),
  };
  return { ...fields, marshalJson: () => goJson(fields) };
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  m.set(k, [...(m.get(k) ?? []), v]);
}

function safeParse(ref: string) {
  try {
    return parseReference(ref);
  } catch {
    return undefined;
  }
}
