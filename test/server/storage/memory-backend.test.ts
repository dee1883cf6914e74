import { MemoryBackend } from '../../../server/storage/memory-backend.js';
import { describeStorageContract } from './contract.js';

describeStorageContract('MemoryBackend', async () => new MemoryBackend());
