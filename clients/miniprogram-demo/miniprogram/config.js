// Where the wxim gateway is. The mini-program talks to this one origin only: REST (wx.request), uploads
// (wx.uploadFile), the socket (wx.connectSocket, the same host with wss:// and /ws) and media links (<image src>).
//
// On a phone and in any uploaded version this MUST be an https:// origin whose domain is on the app's allow-list
// (WeChat admin console -> Development -> Server domains: request, socket, uploadFile and downloadFile domains);
// the socket then uses wss://. WeChat refuses plain http/ws, IP addresses and ports not listed there.
// A local gateway such as http://127.0.0.1:8080 only works in DevTools with "Does not verify valid domain names"
// (project.config.json setting.urlCheck: false), and only from the DevTools simulator.
module.exports = {
  baseUrl: 'http://127.0.0.1:8080',
  // Shows the nickname ("dev") login, which only works when the server has dev login on (local runs).
  devLogin: true,
};
