/** One `RUN` step, as the builder hands it to the container core. */
export interface RunStep {
  /** The image so far as overlayfs lower directories, bottom first (from `ImageStore.unpack`). */
  lowerDirs: readonly string[];
  /**
   * The same image as a store record (its config digest, `sha256:…`), for runners that create
   * containers by image. It exists, and is held against gc, until `run` settles.
   */
  image: string;
  /** The command: exec form as given, shell form as `[...shell, text]`. */
  argv: readonly string[];
  env: readonly string[];
  workdir: string;
  user?: string;
  /** `--network` of the RUN instruction or of the build (`default`, `none`, `host`, a network name). */
  network?: string;
  /** Output lines of the step, streamed to the build's client. */
  onOutput?: (chunk: string) => void;
}

export interface RunResult {
  /**
   * The changes the step made, as an OCI layer tar (deleted paths as `.wh.` whiteouts, opaque dirs
   * as `.wh..wh..opq`): the upper directory of the step's overlay, converted.
   */
  diff: AsyncIterable<Uint8Array>;
}

/**
 * Runs build steps in a real container. Implemented by the container core (runc on an overlay of
 * `lowerDirs`); the builder without one refuses RUN with NotImplementedError.
 *
 * `run` must not change `lowerDirs`; a non-zero exit is InvalidParameterError
 * ("The command '…' returned a non-zero code: N"), a failure to start is SystemError.
 */
export abstract class BuildStepRunner {
  abstract run(step: RunStep): Promise<RunResult>;
}
