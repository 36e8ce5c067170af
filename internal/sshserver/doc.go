// Package sshserver is Berth's SSH server, by which users get into the pods of their
// dev machines (and of any workload they may read) with the SSH keys they registered.
//
// The SSH user name names the target: `<userId>.<podId>.<workspaceId>` (seed 000's
// sshAddr: the main container, bash where the pod has it, else sh) or
// `<userId>.<podId>.<container>.<shell>` (the reference's form). A login is let in
// when the key is one of that user's enabled keys and the user may read the pod's
// workload, the rule of pod logs; both are checked again when a session starts.
// Sessions run through the runtime (runtime.Execer, via usecase.PodExec): a shell on
// a PTY that follows window changes, a command (`ssh host cmd`) whose exit status
// goes back, or the sftp subsystem, which sftp and scp use.
//
// The host key is made once and kept in the store sealed under the server secret
// (HostKey), so every server of one database presents the same key.
package sshserver
