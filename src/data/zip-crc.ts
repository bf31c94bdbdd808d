// CRC-32 checking for zip members. fflate's unzipSync does not verify the
// CRC-32 the zip records for each member, and np.savez stores members
// uncompressed, so a flipped bit in a sample would otherwise be read as a
// silently wrong value (one bad exponent can wreck a calibration range).
// This reads the CRCs from the central directory so the caller can compare.

const EOCD_SIGNATURE = 0x06054b50; // end of central directory record
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_ENTRY_SIGNATURE = 0x02014b50;

/**
 * The CRC-32 of each member as the central directory records it, in
 * central-directory order (the order fflate's unzipSync visits members in).
 * Throws an Error describing the problem if the directory cannot be walked.
 */
export function zipMemberCrcs(zip: Uint8Array): number[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const u32 = (at: number): number => {
    if (at < 0 || at + 4 > zip.length) throw new Error('zip directory points outside the file');
    return view.getUint32(at, true);
  };
  const u16 = (at: number): number => {
    if (at < 0 || at + 2 > zip.length) throw new Error('zip directory points outside the file');
    return view.getUint16(at, true);
  };
  const u64 = (at: number): number => {
    const value = u32(at) + u32(at + 4) * 2 ** 32;
    if (!Number.isSafeInteger(value)) throw new Error('zip64 value too large');
    return value;
  };

  // The end record is the last 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let at = zip.length - 22; at >= 0 && at >= zip.length - 22 - 0xffff; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw new Error('no end of central directory record');

  let entries = u16(eocd + 10);
  let offset = u32(eocd + 16);
  // numpy's savez writes zip64 members; their counts and offsets live in the zip64 end record.
  if (eocd >= 20 && u32(eocd - 20) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64Eocd = u64(eocd - 12);
    if (u32(zip64Eocd) !== ZIP64_EOCD_SIGNATURE) throw new Error('bad zip64 end of central directory record');
    entries = u64(zip64Eocd + 32);
    offset = u64(zip64Eocd + 48);
  }

  const crcs: number[] = [];
  for (let i = 0; i < entries; i++) {
    if (u32(offset) !== CENTRAL_ENTRY_SIGNATURE) throw new Error(`bad central directory entry ${i}`);
    crcs.push(u32(offset + 16));
    offset += 46 + u16(offset + 28) + u16(offset + 30) + u16(offset + 32);
  }
  return crcs;
}

let crcTable: Uint32Array | undefined;

/** The standard (zip, PNG) CRC-32 of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
