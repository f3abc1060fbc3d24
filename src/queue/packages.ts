/**
 * BullMQ and ioredis, loaded when a queue or a worker is made, not when the room is imported
 * (`hostmasterd lint` reaches this room without using it); see shared's lazyPackage.
 */
import { lazyPackage } from '../shared/index.ts';

export const bullmq = lazyPackage<typeof import('bullmq')>('bullmq');
export const ioredis = lazyPackage<typeof import('ioredis')>('ioredis');
