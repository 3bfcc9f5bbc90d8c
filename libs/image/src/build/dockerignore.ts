// The matcher lives in libs/common, shared with apps/cli (which may not import libs/image).
export { DockerIgnore } from '@app/common';
