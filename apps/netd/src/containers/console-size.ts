import { InvalidParameterError } from '@app/common';

/** `?h=…&w=…` of a container's or an exec's resize: whole numbers a console size can hold. */
export function checkConsoleSize(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0 || height > 65535 || width > 65535) {
    throw new InvalidParameterError(`invalid console size: ${height}x${width}`);
  }
}

/**
 * The `h` and `w` query values of a resize, read as moby reads them (strconv.Atoi): an optional
 * sign and decimal digits only. Number() took " 1", "1e3" and "0x10" for sizes.
 */
export function parseConsoleSize(h: string | undefined, w: string | undefined): [number, number] {
  const dim = (text: string | undefined) => {
    const t = text ?? '';
    if (!/^[+-]?\d{1,18}$/.test(t)) throw new InvalidParameterError(`strconv.Atoi: parsing ${JSON.stringify(t.slice(0, 64))}: invalid syntax`);
    return Number(t);
  };
  const size: [number, number] = [dim(h), dim(w)];
  checkConsoleSize(...size);
  return size;
}
