import { AccountDirectory } from '../accounts.ts';
import type { ChannelContext } from '../types.ts';

// One directory per app, shared by the routes, Socket Mode and the adapter, so an install through OAuth or an
// uninstall (both clear it) is seen by all of them at once.
const directories = new WeakMap<ChannelContext, AccountDirectory>();

export function slackDirectory(ctx: ChannelContext): AccountDirectory {
  let d = directories.get(ctx);
  if (!d) directories.set(ctx, (d = new AccountDirectory(ctx.db, ctx.secrets)));
  return d;
}
