import { describeImageStoreContract } from '../testing/image-store.contract';
import { dir, file, makeImage } from '../testing/fixtures';
import { chainIds } from '../oci';
import { MemoryImageStore } from './memory-image-store';

describeImageStoreContract('MemoryImageStore', async () => new MemoryImageStore());

describe(MemoryImageStore.name, () => {
  describe('unpack', () => {
    it('models whiteouts and opaque directories', async () => {
      const store = new MemoryImageStore();
      const img = await makeImage(store, [[dir('etc'), file('etc/.wh.passwd', ''), dir('var'), file('var/.wh..wh..opq', '')]]);
      await store.unpack(img.manifestDigest);
      const [chain] = chainIds((await store.readConfig(img.configDigest)).rootfs.diff_ids);
      const entries = store.layerEntries(chain);
      expect(entries?.get('etc/passwd')).toEqual({ type: 'whiteout' });
      expect(entries?.get('var')).toEqual({ type: 'directory', opaque: true });
    });
  });
});
