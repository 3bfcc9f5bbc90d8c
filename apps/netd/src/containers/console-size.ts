import { InvalidParameterError } from '@app/common';

/** `?h=…&w=…` of a container's or an exec's resize: whole numbers a console size can hold. */
export function checkConsoleSize(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0 || height > 65535 || width > 65535) {
    throw new InvalidParameterError(`invalid console size: ${height}x${width}`);
  }
}
