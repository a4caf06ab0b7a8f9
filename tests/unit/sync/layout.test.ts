import { nodeIdOfKey, parseS3Url } from '../../../lib/sync/layout';

describe('s3:// locations', () => {
  test.each([
    ['s3://bucket/etc/', 'hosts.deny', { bucket: 'bucket', key: 'etc/hosts.deny' }],
    ['s3://bucket/etc/ban/', 'whitelist.txt', { bucket: 'bucket', key: 'etc/ban/whitelist.txt' }],
    ['s3://bucket', 'hosts.deny', { bucket: 'bucket', key: 'hosts.deny' }],
    ['s3://bucket/', 'hosts.deny', { bucket: 'bucket', key: 'hosts.deny' }],
    ['s3://my.bucket-1/etc/deny.txt', 'hosts.deny', { bucket: 'my.bucket-1', key: 'etc/deny.txt' }],
  ])('%s', (url, name, want) => {
    expect(parseS3Url(url, name)).toEqual(want);
  });

  test.each(['http://bucket/etc/', 's3://B/x', 's3://bucket//x', 's3://bucket/a/../b', 'bucket/etc/'])('refuses %s', (url) => {
    expect(typeof parseS3Url(url, 'hosts.deny')).toBe('string');
  });

  test('node ids come only from well-formed document names', () => {
    expect(nodeIdOfKey('etc/nodes/', 'etc/nodes/web-1.json')).toBe('web-1');
    expect(nodeIdOfKey('etc/nodes/', 'etc/nodes/sub/web.json')).toBeNull();
    expect(nodeIdOfKey('etc/nodes/', 'etc/nodes/.hidden.json')).toBeNull();
    expect(nodeIdOfKey('etc/nodes/', 'etc/nodes/web.txt')).toBeNull();
  });
});
