import type { VolumeResponse } from '@app/api';
import type { ContainerSummary, ImageDeleteItem, ImageSummary } from './engine-types';

/** One message of `GET /events` (Docker's events.Message). */
export interface EventMessage {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: string;
  time: number;
  timeNano: number;
  /** Deprecated fields dockerd still sends for containers. */
  status?: string;
  id?: string;
  from?: string;
}

/** `GET /system/df` (Docker's DiskUsage). */
export interface DiskUsage {
  LayersSize: number;
  Images: (ImageSummary & { Containers: number; SharedSize: number })[] | null;
  Containers: (ContainerSummary & { SizeRw?: number; SizeRootFs?: number })[] | null;
  Volumes: (VolumeResponse & { UsageData?: { Size: number; RefCount: number } | null })[] | null;
  BuildCache: { ID: string; Type: string; Size: number; InUse: boolean; Shared: boolean; Description?: string }[] | null;
}

export interface ImagePruneResponse {
  ImagesDeleted: ImageDeleteItem[] | null;
  SpaceReclaimed: number;
}
