import { describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import bolt from '@slack/bolt';
import forge from 'node-forge';
import { Queue } from 'bullmq';
describe('toolchain', () => { it('loads ESM deps', () => { expect(typeof k8s.KubeConfig).toBe('function'); expect(typeof bolt.App).toBe('function'); expect(typeof forge.asn1.fromDer).toBe('function'); expect(typeof Queue).toBe('function'); }); });
