/**
 * Cheap checks the editor runs on every keystroke, before (and besides) core's validation,
 * which the app runs through the `validate_server` command. These only catch what can be seen
 * in one field; everything that needs the catalogs (duplicates across catalogs, modes a server
 * can run in…) is core's job.
 */

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST_PART = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = `${HOST_PART}(?:\\.${HOST_PART})*(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const IMAGE_RE = new RegExp(`^(?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`);

/** Why `image` is not a valid Docker image reference, or null if it is. */
export function imageError(image: string): string | null {
  const value = image.trim();
  if (value === '') return 'Enter an image, e.g. mcp/fetch or ghcr.io/org/server:1.2';
  if (/\s/.test(value)) return 'An image name cannot contain spaces';
  if (value.length > 255) return 'An image name is at most 255 characters';
  if (IMAGE_RE.test(value)) return null;
  const path = value.split('@')[0]!.replace(/:[^/]*$/, '');
  const repo = path.includes('/') ? path.slice(path.indexOf('/') + 1) : path;
  if (/[A-Z]/.test(repo)) return `Invalid image name “${value}”: repository names must be lowercase`;
  return `Invalid image name “${value}”: use [registry/]name[:tag][@digest] with lowercase letters, digits and . _ - (e.g. mcp/fetch:latest)`;
}

/** Core's rule for server and catalog names (crates/core/src/error.rs, `check_name`). */
export function nameError(name: string): string | null {
  if (name === '') return 'Enter a name';
  if (/^[.-]/.test(name)) return 'A name cannot start with “.” or “-”';
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return 'Use letters, digits, “.”, “_” and “-” only';
  return null;
}

export function envNameError(name: string): string | null {
  if (name === '') return 'Enter a variable name';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `“${name}” is not a valid environment variable name`;
  return null;
}

export function cpusError(text: string): string | null {
  if (text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) && n > 0 ? null : 'CPUs must be a number above 0, e.g. 0.5 or 2';
}

export function memoryError(text: string): string | null {
  if (text.trim() === '') return null;
  const m = /^\s*(\d+)\s*([kmg]?)b?\s*$/i.exec(text);
  return m && Number(m[1]) > 0 ? null : 'Memory is bytes or a size such as 512m or 2g';
}

export function pidsError(text: string): string | null {
  if (text.trim() === '') return null;
  return /^\s*[1-9]\d*\s*$/.test(text) ? null : 'Processes must be a whole number above 0';
}

export function volumeError(volume: string): string | null {
  const parts = volume.split(':');
  if (parts.length < 2 || parts[0] === '' || parts[1] === '') {
    return `“${volume}” is not a volume: use /host/path:/container/path[:ro]`;
  }
  if (parts.length > 3 || (parts.length === 3 && !['ro', 'rw'].includes(parts[2]!))) {
    return `“${volume}”: the third part can only be ro or rw`;
  }
  return null;
}
