import { ConflictError, familiarName, familiarString, formatReference, type ImageReference, NotFoundError, parseReference, shortId } from '@app/common';
import type { ImageConfig } from './oci';
import type { ImageRecord, ImageStore } from './store/image-store.port';

/** What `docker images` lists (camelCase; the controller maps to Docker's PascalCase). */
export interface ImageSummary {
  /** `sha256:<config digest hex>`: Docker's image id. */
  id: string;
  manifestDigest: string;
  repoTags: string[];
  repoDigests: string[];
  created: string | undefined;
  /** Sum of the stored (compressed) layer sizes. */
  size: number;
  labels: Record<string, string>;
}

export interface ImageDetails extends ImageSummary {
  config: ImageConfig;
}

/** One row of `docker history` (GET /images/{name}/history), newest first. */
export interface HistoryRow {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export type RemoveReport = Array<{ untagged: string } | { deleted: string }>;

export interface ImagesOptions {
  /** Containers using an image (by image id) block its removal unless forced; the container core supplies this. */
  usedBy?: (imageId: string) => string[] | Promise<string[]>;
}

/**
 * Image operations in Docker's terms over an ImageStore: look up by name, tag, digest or (short)
 * id; list; inspect; tag; remove with Docker's untag-then-delete rules and messages.
 */
export class Images {
  constructor(
    readonly store: ImageStore,
    private readonly opts: ImagesOptions = {},
  ) {}

  /** The image a user's string names; a tag wins over an id prefix. NotFoundError `No such image: <text>`. */
  async resolve(text: string): Promise<ImageRecord> {
    const images = await this.store.listImages();
    const hex = text.replace(/^sha256:/, '');
    if (/^[a-f0-9]{1,64}$/.test(hex) && (text.startsWith('sha256:') || hex.length === 64 || !(await this.tagFor(text)))) {
      const matches = images.filter((i) => i.configDigest.slice(7).startsWith(hex));
      if (new Set(matches.map((i) => i.configDigest)).size === 1) return matches[0];
    }
    let ref: ImageReference | undefined;
    try {
      ref = parseReference(text);
    } catch {
      ref = undefined;
    }
    const digest = ref?.digest ?? (await this.tagFor(text));
    const img = digest ? images.find((i) => i.manifestDigest === digest) : undefined;
    if (!img) throw new NotFoundError(`No such image: ${text}`);
    return img;
  }

  private async tagFor(text: string): Promise<string | undefined> {
    let name: string;
    try {
      name = formatReference(parseReference(text));
    } catch {
      return undefined;
    }
    return (await this.store.listTags()).find((t) => t.name === name)?.manifestDigest;
  }

  async list(): Promise<ImageSummary[]> {
    const out: ImageSummary[] = [];
    for (const img of await this.store.listImages()) out.push(await this.summary(img));
    return out.sort((a, b) => (b.created ?? '').localeCompare(a.created ?? ''));
  }

  async inspect(text: string): Promise<ImageDetails> {
    const img = await this.resolve(text);
    return { ...(await this.summary(img)), config: await this.store.readConfig(img.configDigest) };
  }

  /**
   * `docker history`: the config's history, newest first. As dockerd, the newest row carries the
   * image id and its tags; the rows below it name no image here (`<missing>`), and each row that
   * made a layer shows that layer's size (stored, compressed size: the one netd has for a layer).
   */
  async history(text: string): Promise<HistoryRow[]> {
    const img = await this.resolve(text);
    const details = await this.inspect(text);
    const layers = (await this.store.readManifest(img.manifestDigest)).layers;
    let layer = 0;
    const rows = (details.config.history ?? []).map((h) => ({
      Id: '<missing>',
      Created: h.created ? Math.floor(Date.parse(h.created) / 1000) || 0 : 0,
      CreatedBy: h.created_by ?? '',
      Tags: null as string[] | null,
      Size: h.empty_layer ? 0 : (layers[layer++]?.size ?? 0),
      Comment: h.comment ?? '',
    }));
    rows.reverse();
    if (rows.length === 0) rows.push({ Id: '', Created: 0, CreatedBy: '', Tags: null, Size: details.size, Comment: '' });
    rows[0] = { ...rows[0], Id: details.id, Tags: details.repoTags.length > 0 ? details.repoTags : null };
    return rows;
  }

  /** Tag an image: `target` is a reference (`repo[:tag]`, no digest). */
  async tag(source: string, target: string): Promise<void> {
    const img = await this.resolve(source);
    const ref = parseReference(target);
    if (ref.digest) throw new ConflictError(`refusing to create a tag with a digest reference`);
    await this.store.setTag(formatReference(ref), img.manifestDigest);
  }

  /**
   * `docker rmi`: a tag reference untags, and deletes the image when no tag is left; an id deletes
   * the image, refusing (Conflict) when it has several repositories unless forced, or is in use.
   */
  /**
   * `force`: also an image a container uses, or one tagged in several repositories (by id).
   * `allRepositories`: only the latter (prune): an image in use stays, however the check before
   * the call went, since a container may have been created since.
   */
  async remove(text: string, opts: { force?: boolean; allRepositories?: boolean } = {}): Promise<RemoveReport> {
    const img = await this.resolve(text);
    const report: RemoveReport = [];
    const tags = (await this.store.listTags()).filter((t) => this.sameImage(t.manifestDigest, img));
    const byName = tags.find((t) => t.name === safeFormat(text));
    const users = (await this.opts.usedBy?.(img.configDigest)) ?? [];
    if (users.length > 0 && !opts.force) {
      const what = byName ? `remove repository reference "${text}"` : `delete ${shortId(img.configDigest.slice(7))}`;
      throw new ConflictError(`conflict: unable to ${what} (must force) - container ${shortId(users[0])} is using its referenced image ${shortId(img.configDigest.slice(7))}`);
    }
    if (byName && tags.length > 1) {
      await this.store.deleteTag(byName.name);
      return [{ untagged: familiarString(parseReference(byName.name)) }];
    }
    if (!byName && new Set(tags.map((t) => familiarName(parseReference(t.name)))).size > 1 && !opts.force && !opts.allRepositories) {
      throw new ConflictError(`conflict: unable to delete ${shortId(img.configDigest.slice(7))} (must be forced) - image is referenced in multiple repositories`);
    }
    for (const t of tags) {
      await this.store.deleteTag(t.name);
      report.push({ untagged: familiarString(parseReference(t.name)) });
    }
    for (const i of await this.store.listImages()) {
      if (i.configDigest === img.configDigest) await this.store.deleteImage(i.manifestDigest);
    }
    const gc = await this.store.gc();
    report.push({ deleted: img.configDigest }, ...gc.layers.map((deleted) => ({ deleted })));
    return report;
  }

  /** Containers using the image, from the usedBy hook (none without one). */
  async users(imageId: string): Promise<string[]> {
    return (await this.opts.usedBy?.(imageId)) ?? [];
  }

  /**
   * `docker system df`'s image part: every layer counted once (`layersSize`), and per image the
   * bytes of its layers that another image shares (Docker's SharedSize).
   */
  async diskUsage(): Promise<{ layersSize: number; shared: Map<string, number> }> {
    const layersOf = new Map<string, { digest: string; size: number }[]>();
    const users = new Map<string, Set<string>>();
    for (const img of await this.store.listImages()) {
      const layers = (await this.store.readManifest(img.manifestDigest)).layers;
      layersOf.set(img.configDigest, layers);
      for (const l of layers) users.set(l.digest, (users.get(l.digest) ?? new Set()).add(img.configDigest));
    }
    const sizes = new Map<string, number>();
    for (const layers of layersOf.values()) for (const l of layers) sizes.set(l.digest, l.size);
    const shared = new Map<string, number>();
    for (const [id, layers] of layersOf) {
      shared.set(id, [...new Map(layers.map((l) => [l.digest, l.size]))].reduce((n, [d, size]) => n + ((users.get(d)?.size ?? 0) > 1 ? size : 0), 0));
    }
    return { layersSize: [...sizes.values()].reduce((a, b) => a + b, 0), shared };
  }

  private sameImage(manifestDigest: string, img: ImageRecord): boolean {
    return manifestDigest === img.manifestDigest;
  }

  private async summary(img: ImageRecord): Promise<ImageSummary> {
    const config = await this.store.readConfig(img.configDigest);
    const manifest = await this.store.readManifest(img.manifestDigest);
    const tags = (await this.store.listTags()).filter((t) => t.manifestDigest === img.manifestDigest).map((t) => parseReference(t.name));
    return {
      id: img.configDigest,
      manifestDigest: img.manifestDigest,
      repoTags: tags.map(familiarString),
      repoDigests: [...new Set(tags.map((t) => `${familiarName(t)}@${img.manifestDigest}`))],
      created: config.created,
      size: manifest.layers.reduce((n, l) => n + l.size, 0),
      labels: config.config?.Labels ?? {},
    };
  }
}

function safeFormat(text: string): string | undefined {
  try {
    return formatReference(parseReference(text));
  } catch {
    return undefined;
  }
}
