import { Redis, type RedisOptions } from 'ioredis';

/**
 * Conversation events over Redis pub/sub, so that a web page or a waiting
 * `closer ask` in one process hears about a delivery made by a worker in
 * another. Events are hints: listeners re-read Postgres, which holds the truth.
 */
export interface ConversationEvent {
  type: 'delivered' | 'failed' | 'handled';
  conversationId: string;
  messageId: string;
}

type Listener = (e: ConversationEvent) => void;

export class EventBus {
  private readonly pub: Redis;
  private sub: Redis | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly connection: RedisOptions,
    private readonly prefix: string,
  ) {
    this.pub = new Redis({ ...connection, lazyConnect: true });
    this.pub.on('error', () => undefined);
  }

  private channel(conversationId: string): string {
    return `${this.prefix}:events:conv:${conversationId}`;
  }

  async publish(e: ConversationEvent): Promise<void> {
    await this.pub.publish(this.channel(e.conversationId), JSON.stringify(e));
  }

  /** Listens to one conversation; returns a function that stops listening. */
  async subscribe(conversationId: string, fn: Listener): Promise<() => void> {
    if (!this.sub) {
      this.sub = new Redis({ ...this.connection, lazyConnect: true });
      this.sub.on('error', () => undefined);
      this.sub.on('message', (channel: string, raw: string) => {
        const set = this.listeners.get(channel);
        if (!set) return;
        try {
          const e = JSON.parse(raw) as ConversationEvent;
          for (const l of set) l(e);
        } catch {
          // not ours
        }
      });
    }
    const ch = this.channel(conversationId);
    let set = this.listeners.get(ch);
    if (!set) {
      set = new Set();
      this.listeners.set(ch, set);
      await this.sub.subscribe(ch);
    }
    set.add(fn);
    return () => {
      set.delete(fn);
      if (set.size === 0) {
        this.listeners.delete(ch);
        void this.sub?.unsubscribe(ch).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.pub.disconnect();
    this.sub?.disconnect();
  }
}
